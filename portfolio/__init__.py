"""portfolio: choose and finance critical-mineral projects so priority-sector demand is covered early."""

__version__ = "0.1.0"
