; long __syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
; Moves C's argument registers into the kernel's: number in rax, arguments
; in rdi, rsi, rdx, r10, r8, r9. `syscall` destroys rcx and r11.
bits 64
section .text
global __syscall6
__syscall6:
	mov rax, rdi
	mov rdi, rsi
	mov rsi, rdx
	mov rdx, rcx
	mov r10, r8
	mov r8, r9
	mov r9, [rsp + 8]
	syscall
	ret
