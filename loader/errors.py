"""The one exception type the loader raises for problems a user can act on."""


class LoaderError(Exception):
    """A problem with the input or the environment, explained in one line.

    The CLI prints it without a traceback (unless ``--debug``) and exits non-zero.
    """
