# Writes examples/src/test/resources/qa/NAME.ein and NAME.data (inputs and numpy expectations) for QaProgramsTest.
import sys, os, numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qa_programs import PROGS
dst = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'qa')
os.makedirs(dst, exist_ok=True)
def fmt(a):
    a = np.asarray(a, dtype=np.float64)
    vals = ' '.join('Infinity' if v == np.inf else '-Infinity' if v == -np.inf else repr(float(v)) for v in a.ravel())
    return ' '.join(str(s) for s in a.shape) + ' : ' + vals
for p in PROGS:
    ins = {}
    for k, v in p['inputs'].items():
        v = np.asarray(v)
        v = v if (v.dtype != np.float64 or p['name'] == 'types') else v.astype(np.float32)
        ins[k] = v.astype(np.float64)
    exp = p['ref'](ins, p['params'])
    src = p['src'].lstrip('\n')
    head = f"# QA program '{p['name']}': inputs and numpy-computed expectations in {p['name']}.data\n"
    open(f"{dst}/{p['name']}.ein", 'w').write(head + src)
    with open(f"{dst}/{p['name']}.data", 'w') as f:
        if p['cascade']: f.write(f"cascade {p['cascade']}\n")
        for k, v in p['params'].items():
            if not k.startswith('_'): f.write(f"param {k} {float(v)!r}\n")
        for k, v in ins.items(): f.write(f"input {k} {fmt(v)}\n")
        for k, v in exp.items(): f.write(f"expect {k} {fmt(v)}\n")
print(len(PROGS))
