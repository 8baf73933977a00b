"""jinghang.api: see ../shared/design/ARCHITECTURE.md."""
