"""jinghang.video: see ../shared/design/ARCHITECTURE.md."""
