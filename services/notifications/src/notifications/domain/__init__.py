"""Rules of outbound mail: who may be mailed, how mail threads, how it is written, when to retry. No I/O."""
