; Program entry. The kernel starts us with rsp pointing at argc, followed by
; argv[], NULL, envp[], NULL, auxv pairs, AT_NULL (the SysV layout).
bits 64
section .text
global _start
extern __libc_start
_start:
	xor ebp, ebp		; the outermost frame, for backtraces
	mov rdi, rsp
	and rsp, -16		; the ABI wants 16-byte alignment at calls
	call __libc_start
	ud2			; __libc_start never returns
