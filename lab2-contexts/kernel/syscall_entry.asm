; The `syscall` instruction lands here (IA32_LSTAR). The CPU has put the
; user's rip in rcx and rflags in r11, masked rflags with IA32_FMASK
; (interrupts, trap flag, direction and alignment check are now off), and
; switched to ring 0 - but not to a kernel stack: rsp is still the user's.
;
; We build the same struct trapframe an interrupt builds (trap.h), so the
; rest of the kernel sees one format for "user registers", and leave through
; trap_return's iretq. (sysret would be a few cycles faster on hardware, but
; iretq is always correct: with the trap flag set for single-stepping, and
; with a non-canonical return address, where sysret would fault in ring 0.)

bits 64
%include "trapframe.inc"
section .text
extern syscall_handler
extern trap_return
extern syscall_no_kernel_stack
extern boot_stack_top
global syscall_entry

%define SEL_UCODE	(0x20 | 3)
%define SEL_UDATA	(0x18 | 3)
%define TF_SYSCALL	0x100

syscall_entry:
	mov [rel syscall_user_rsp], rsp
	mov rsp, [rel syscall_kernel_rsp]
	test rsp, rsp			; never set: say so instead of corrupting
	jz .no_kernel_stack		; memory below address 0
	push SEL_UDATA			; ss
	push qword [rel syscall_user_rsp] ; rsp
	push r11			; rflags
	push SEL_UCODE			; cs
	push rcx			; rip
	push 0				; error code
	push TF_SYSCALL			; vector
	PUSH_GPRS
	mov rdi, rsp
	xor ebp, ebp			; backtraces stop here
	call [rel syscall_handler]	; syscall_dispatch, unless a later lab
					; swapped it (syscall_table.h)
	jmp trap_return

.no_kernel_stack:
	mov rsp, boot_stack_top		; we are about to panic: any stack will do
	call syscall_no_kernel_stack	; does not return

section .bss
align 8
global syscall_kernel_rsp
syscall_user_rsp:	resq 1	; scratch: one CPU, interrupts off until saved
syscall_kernel_rsp:	resq 1	; top of the current context's kernel stack
