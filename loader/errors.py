"""The one exception type the loader raises for problems a user can act on."""


class LoaderError(Exception):
    """A problem with the input or the environment, explained in one line.

    The CLI prints it without a traceback (unless ``--debug``) and exits non-zero.
    """


class BadLandedFile(LoaderError):
    """A landed file that cannot be loaded (gone, changed since it landed, unreadable):
    the load quarantines it with this reason and goes on without it."""

    def __init__(self, landed, reason: str) -> None:  # landed: loader.lake.LandedFile
        super().__init__(f"{landed.path}: {reason}")
        self.landed = landed
        self.reason = reason
