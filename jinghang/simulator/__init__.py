"""jinghang.simulator: see ../shared/design/ARCHITECTURE.md."""
