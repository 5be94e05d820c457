; pid_t fork(void), in user space (lab 4, HANDOUT.md §5). Redox's trampoline:
; the parent saves its callee-saved registers in a frame on its own stack,
; __fork_build (fork.c) copies the whole address space - frame included -
; into a new child, whose first instruction is __fork_child with rsp at the
; frame. The child pops the same registers and returns 0 from the same call.
;
; The frame, from rsp upwards (16-byte aligned, so the call below is too):
;   [rsp]      8 bytes of padding
;   [rsp+8]    r15, r14, r13, r12, rbx, rbp
;   [rsp+56]   the return address into fork's caller
; Everything else is caller-saved in the SysV ABI, and user code has no
; SSE or x87 state (-mno-sse), so nothing else needs to survive.
bits 64
section .text
global fork
global __fork_child
extern __fork_build

fork:
; BEGIN LAB4 SOLUTION: §5.1 fork
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8		; 8 (return address) + 48 + 8: aligned
	mov rdi, rsp		; long __fork_build(void *frame)
	call __fork_build
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret			; the parent: the pid, or -1 with errno
; END LAB4 SOLUTION
; STARTER: jmp __fork_build		; -1, errno ENOSYS

; The child's first instruction: rsp = the frame fork built.
__fork_child:
; BEGIN LAB4 SOLUTION: §5.2 __fork_child
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	xor eax, eax
	ret			; the child: 0
; END LAB4 SOLUTION
; STARTER: ud2
