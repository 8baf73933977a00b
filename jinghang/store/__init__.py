"""jinghang.store: see ../shared/design/ARCHITECTURE.md."""
