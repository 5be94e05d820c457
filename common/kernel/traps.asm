; Interrupt and exception entry stubs. Every vector gets a stub that makes
; the stack look the same (an error code slot, then the vector number) and
; jumps to trap_common, which saves the general registers in the order of
; struct trapframe (trap.h) and calls trap(tf).

bits 64
%include "trapframe.inc"
section .text
extern trap

; Vectors where the CPU pushes an error code itself.
%define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

%macro TRAP_STUB 1
trap_stub_%1:
%if HAS_ERROR(%1) == 0
	push 0
%endif
	push %1
	jmp trap_common
%endmacro

%assign v 0
%rep 256
	TRAP_STUB v
%assign v v + 1
%endrep

; Ochre runs on one CPU and keeps no per-CPU data in GS, so there is no
; swapgs here (an SMP port would add it on entry from and exit to user mode).
trap_common:
	PUSH_GPRS
	mov rdi, rsp
	cld
	call trap
global trap_return
trap_return:
	POP_GPRS
	add rsp, 16		; vector and error code
	iretq

section .rodata
align 8
global trap_stubs
trap_stubs:
%assign v 0
%rep 256
	dq trap_stub_ %+ v
%assign v v + 1
%endrep
