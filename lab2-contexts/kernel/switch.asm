; switch_to(uint64_t *old_rsp, uint64_t new_rsp): the context switch.
; HANDOUT.md §4.
;
; Saves the callee-saved registers of the running context on its kernel
; stack, stores its stack pointer in *old_rsp (rdi), loads new_rsp (rsi) and
; pops the other context's callee-saved registers; `ret` then continues
; wherever that context called switch_to - or, for a context that never ran,
; at the address context_prepare_first_switch() put there.
;
; Only callee-saved registers need saving: the C compiler already assumes
; switch_to() may destroy rax, rcx, rdx, rsi, rdi, r8-r11.

bits 64
section .text
global switch_to, context_first_entry
extern context_first_return, trap_return

switch_to:
; BEGIN LAB2 SOLUTION: §4.1 switch_to
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	mov [rdi], rsp
	mov rsp, rsi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
; END LAB2 SOLUTION
	ret

; Given: where a new context's first switch_to() returns (context.c); rsp
; points at its trapframe. Every new context passes here once on its way to
; user mode: context_first_return() is the place to stop or die first.
context_first_entry:
	mov rdi, rsp
	call context_first_return
	jmp trap_return
