"""The installed version of the tool, named in every report it writes."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stockpile-optimiser")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
