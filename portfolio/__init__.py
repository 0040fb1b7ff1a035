"""portfolio: choose and finance critical-mineral projects to cover priority demand early."""

__version__ = "0.1.0"
