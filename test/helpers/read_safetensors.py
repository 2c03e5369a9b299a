# An independent safetensors reader in plain Python (stdlib only), applying the checks of the
# reference implementation: u64 LE header size, a JSON object header starting with '{',
# tensors tiling the data in offset order, sizes matching dtype and shape. Prints a JSON
# summary of names, dtypes, shapes, metadata and values.
import json, struct, sys
from array import array

path = sys.argv[1]
buf = open(path, 'rb').read()
(n,) = struct.unpack('<Q', buf[:8])
assert n <= 100_000_000 and 8 + n <= len(buf), 'header too large'
raw = buf[8:8 + n].decode('utf-8')
assert raw.startswith('{'), 'header must start with {'
header = json.loads(raw)
meta = header.pop('__metadata__', None)
assert meta is None or all(isinstance(v, str) for v in meta.values())
data = buf[8 + n:]
sizes = {'F32': 4, 'I32': 4}
end = 0
out = {}
for name, e in sorted(header.items(), key=lambda kv: tuple(kv[1]['data_offsets'])):
    b, s = e['data_offsets']
    assert b == end, f'{name}: offsets not contiguous'
    count = 1
    for d in e['shape']:
        count *= d
    assert s - b == count * sizes[e['dtype']], f'{name}: size mismatch'
    vals = array('f' if e['dtype'] == 'F32' else 'i')
    vals.frombytes(data[b:s])
    if sys.byteorder != 'little':
        vals.byteswap()
    out[name] = {'dtype': e['dtype'], 'shape': e['shape'], 'values': vals.tolist()}
    end = s
assert end == len(data), 'data not fully covered'
print(json.dumps({'tensors': out, 'metadata': meta, 'header_len': n}))
