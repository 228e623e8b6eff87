__version__ = "0.1.0"

import logging as _logging
# On a CPU with AVX512-BF16, importing bitsandbytes tries to load an optional 4-bit CPU kernel from the Hub
# (`kernels-community/quantization-bitsandbytes`, through the `kernels` package). This project never needs it (the
# built-in CPU path is used instead, and nothing is lost), yet the attempt logs one warning per import, two when
# HF_HUB_OFFLINE is set: the `kernels` package's "Skipping publisher trust check ... offline mode" and bitsandbytes'
# "Failed to load CPU gemm_4bit_forward from kernels-community". Exactly those two messages are dropped, whatever the
# environment, before any module imports bitsandbytes (peft and transformers import it too); every other message of
# these loggers, and of every other logger, still shows.
_QUIET = {'bitsandbytes.backends.cpu.ops': 'Failed to load CPU gemm_4bit_forward from kernels-community',
          'kernels._internals.hf_hub': "Skipping publisher trust check for 'kernels-community/quantization-bitsandbytes'"}
for _name, _start in _QUIET.items():
    _logging.getLogger(_name).addFilter(lambda r, s=_start: not r.getMessage().startswith(s))
