"""Errors about step arguments, with values shown safely."""

from ironic_nbde import exception


def bad(arg, reason, *fmt):
    """An :class:`InvalidStepArgument` for ``arg``; ``reason % fmt`` with
    each value made safe for a message by :func:`shown`."""
    return exception.InvalidStepArgument(arg=arg, reason=reason % tuple(
        shown(f) for f in fmt))


def shown(value):
    """A value for an error message: one line, bounded, never a repr of
    a container (which could hold anything)."""
    if isinstance(value, int) and not isinstance(value, bool) \
            and abs(value) < 10**9:
        return value
    if isinstance(value, (str, int, float, bool, type(None))) or isinstance(
            value, exception.NbdeError):
        text = value if isinstance(value, str) else str(value)
        text = ' '.join(text.split())
        return text if len(text) <= 80 else text[:77] + '...'
    return '<%s>' % type(value).__name__
