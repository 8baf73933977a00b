"""jinghang.dispatch: see ../shared/design/ARCHITECTURE.md."""
