//go:build amd64 && !race

#include "textflag.h"

// func storeRelease(addr *int64, v int64)
//
// A plain MOV: on amd64 (TSO) it is not reordered with earlier stores, and
// the call keeps the compiler from moving stores across it; unlike XCHG it
// does not wait for the store buffer to drain.
TEXT ·storeRelease(SB), NOSPLIT, $0-16
	MOVQ addr+0(FP), AX
	MOVQ v+8(FP), BX
	MOVQ BX, 0(AX)
	RET
