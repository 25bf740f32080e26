"""View models: state and formatting of the screens in plain Python, testable without a window."""
