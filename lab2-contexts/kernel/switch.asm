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
global switch_to
global context_first_entry
extern context_first_return
extern trap_return

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

; Where a new context's first switch_to() returns (context.c): rsp points at
; its user trapframe. The one place every context starts; lab 6 stops a
; traced clone here before it runs a single user instruction.
context_first_entry:
	mov rdi, rsp
	call context_first_return
	jmp trap_return
