"""Classes the pickle corpus (pickle_corpus.py) pickles by reference as demo.NAME."""


class Point:
    """A plain class: pickled with NEWOBJ and its __dict__ as state."""

    def __init__(self, x, y):
        self.x = x
        self.y = y


class Celsius:
    """A class with its own __reduce__: pickled as Celsius(degrees)."""

    def __init__(self, degrees):
        self.degrees = degrees

    def __reduce__(self):
        return (Celsius, (self.degrees,))


class Slotted:
    """A class with __slots__: its state is (None, {slot: value})."""

    __slots__ = ('a', 'b')

    def __init__(self, a, b):
        self.a = a
        self.b = b


class Opaque:
    """A class the TypeScript side does not register: kept as a PickleObject with unknownGlobals: 'keep'."""

    def __init__(self, label, items):
        self.label = label
        self.items = items


def make_point(x, y):
    """A function a reduction calls (registered on the TypeScript side with registerPickleFunction)."""
    return Point(x, y)


class Made:
    """An instance rebuilt through a function: pickled as make_point(x, y)."""

    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __reduce__(self):
        return (make_point, (self.x, self.y))
