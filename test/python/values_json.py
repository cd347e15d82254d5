# ShareableList values as JSON for the TypeScript side, tagged where JSON is not enough: {"int": "123"},
# {"float": "nan"}, {"bytes": [1, 2]}; strings, booleans and null as they are.
import math


def dec(x):
    if isinstance(x, dict):
        if 'int' in x:
            return int(x['int'])
        if 'float' in x:
            return float(x['float'])
        if 'bytes' in x:
            return bytes(x['bytes'])
        raise ValueError(x)
    return x


def enc(x):
    if isinstance(x, bytes):
        return {'bytes': list(x)}
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, int):
        return x if abs(x) < 2**53 else {'int': str(x)}
    if isinstance(x, float):
        return x if math.isfinite(x) else {'float': repr(x)}
    return {'unknown': repr(x)}
