/**
 * The first section of every Seatbelt profile: deny everything, then allow what any process needs
 * to start, fork and query its host (processes of the same sandbox, CPU and OS sysctls that
 * runtimes such as Node's `os.cpus()` read, `/dev/null`, pseudo-terminals). File reads and writes,
 * the network and the platform defaults come in later sections. Ends with a newline.
 *
 * `(allow user-preference-read)` is not here: it lives in {@link SEATBELT_EXTENSIONS_POLICY}.
 *
 * @example
 * ```ts
 * SEATBELT_BASE_POLICY.startsWith('(version 1)'); // true
 * SEATBELT_BASE_POLICY.includes('(sysctl-name "hw.model")'); // true
 * ```
 */
export const SEATBELT_BASE_POLICY = `(version 1)

; Nothing is allowed unless a rule below (or a later section) allows it.
(deny default)

; Commands may run programs and start processes; those inherit this profile.
(allow process-exec)
(allow process-fork)
(allow signal (target same-sandbox))

; Process information about processes of the same sandbox only.
(allow process-info* (target same-sandbox))

; Host information (Node's os.cpus() needs it).
(allow mach-host*)

; Writing to /dev/null, the character device only.
(allow file-write-data
  (require-all
    (path "/dev/null")
    (vnode-type CHARACTER-DEVICE)))

; Hardware, kernel and OS values that language runtimes read at startup.
(allow sysctl-read
  (sysctl-name "hw.activecpu")
  (sysctl-name "hw.busfrequency_compat")
  (sysctl-name "hw.byteorder")
  (sysctl-name "hw.cacheconfig")
  (sysctl-name "hw.cachelinesize_compat")
  (sysctl-name "hw.cpufamily")
  (sysctl-name "hw.cpufrequency")
  (sysctl-name "hw.cpufrequency_compat")
  (sysctl-name "hw.cputype")
  (sysctl-name "hw.l1dcachesize_compat")
  (sysctl-name "hw.l1icachesize_compat")
  (sysctl-name "hw.l2cachesize_compat")
  (sysctl-name "hw.l3cachesize_compat")
  (sysctl-name "hw.logicalcpu")
  (sysctl-name "hw.logicalcpu_max")
  (sysctl-name "hw.machine")
  (sysctl-name "hw.memsize")
  (sysctl-name "hw.model")
  (sysctl-name "hw.ncpu")
  (sysctl-name "hw.nperflevels")
  (sysctl-name "hw.packages")
  (sysctl-name "hw.pagesize")
  (sysctl-name "hw.pagesize_compat")
  (sysctl-name "hw.physicalcpu")
  (sysctl-name "hw.physicalcpu_max")
  (sysctl-name "hw.tbfrequency_compat")
  (sysctl-name "hw.vectorunit")
  (sysctl-name-prefix "hw.optional.arm.")
  (sysctl-name-prefix "hw.optional.armv8_")
  (sysctl-name-prefix "hw.perflevel")
  (sysctl-name-prefix "kern.proc.pgrp.")
  (sysctl-name-prefix "kern.proc.pid.")
  (sysctl-name-prefix "net.routetable.")
  (sysctl-name "machdep.cpu.brand_string")
  (sysctl-name "kern.argmax")
  (sysctl-name "kern.hostname")
  (sysctl-name "kern.maxfilesperproc")
  (sysctl-name "kern.maxproc")
  (sysctl-name "kern.osproductversion")
  (sysctl-name "kern.osrelease")
  (sysctl-name "kern.ostype")
  (sysctl-name "kern.osvariant_status")
  (sysctl-name "kern.osversion")
  (sysctl-name "kern.secure_kernel")
  (sysctl-name "kern.usrstack64")
  (sysctl-name "kern.version")
  (sysctl-name "sysctl.proc_cputype")
  (sysctl-name "vm.loadavg"))

; Rosetta and universal binaries pick their CPU type through this one.
(allow sysctl-write (sysctl-name "kern.grade_cputype"))

(allow iokit-open (iokit-registry-entry-class "RootDomainUserClient"))

; User and group lookups (getpwuid and friends); power assertions.
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.PowerManagement.control"))

; POSIX semaphores (Python's multiprocessing, among others).
(allow ipc-posix-sem)

; Pseudo-terminals, for interactive programs.
(allow file-read* file-write* file-ioctl (literal "/dev/ptmx"))
(allow file-read* file-write*
  (require-all
    (regex #"^/dev/ttys[0-9]+")
    (extension "com.apple.sandbox.pty")))
(allow file-write-data
  (require-all
    (regex #"^/dev/ttys[0-9]+")
    (vnode-type CHARACTER-DEVICE)))
; Terminals opened before the sandbox started carry no extension; shells still need to see a TTY.
(allow file-ioctl (regex #"^/dev/ttys[0-9]+"))
`;
