"""jinghang.console: see ../shared/design/ARCHITECTURE.md."""
