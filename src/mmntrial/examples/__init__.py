"""Example patient histories shipped with mmntrial (also at examples/ in the source tree)."""
