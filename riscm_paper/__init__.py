__version__ = "0.1.0"

import logging as _logging
# bitsandbytes logs a warning on import when its optional CPU kernel package (`kernels`) is absent; its built-in CPU
# path is used instead and nothing is lost, so that one message is dropped before any module imports bitsandbytes
# (peft and transformers import it too). Every other warning still shows.
_logging.getLogger('bitsandbytes.backends.cpu.ops').addFilter(lambda r: 'kernels-community' not in r.getMessage())
