"""jinghang.flight: see ../shared/design/ARCHITECTURE.md."""
