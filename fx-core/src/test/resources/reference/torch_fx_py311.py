"""torch 1.13's torch.fx on Python 3.11: one method patched so that torchvision traces every model.

torch.fx.Proxy.__iter__ finds the calling bytecode instruction with ``f_lasti // 2``, wrong since
Python 3.11 (f_lasti is a byte offset there), so ``n, c, h, w = x.shape`` (torchvision's
VisionTransformer._process_input) fails with "Proxy object cannot be iterated". This looks the
instruction up by its offset, as later torch does. Import it before tracing.
"""
import dis
import inspect

import torch.fx.proxy as _proxy


def _iter(self):
    frame = inspect.currentframe()
    calling_frame = frame.f_back
    inst = next(i for i in dis.get_instructions(calling_frame.f_code) if i.offset == calling_frame.f_lasti)
    if inst.opname == "UNPACK_SEQUENCE":
        return (self[i] for i in range(inst.argval))
    return self.tracer.iter(self)


_proxy.Proxy.__iter__ = _iter
