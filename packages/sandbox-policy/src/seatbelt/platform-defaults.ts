/**
 * The macOS read roots and services that basic programs need to start and run (the dynamic
 * loader, system libraries and frameworks, `/dev` nodes, the terminal, user lookups, logging),
 * appended to a Seatbelt profile when reads are restricted and the policy includes the platform
 * defaults (`includePlatformDefaults`). Ends with a newline.
 *
 * Note: like Codex, it makes `/tmp`, `/private/tmp`, `/var/tmp` and `/private/var/tmp`
 * readable **and writable**, even under a read-only policy.
 *
 * @example
 * ```ts
 * const withDefaults = includePlatformDefaults(policy) ? SEATBELT_PLATFORM_DEFAULTS : '';
 * ```
 */
export const SEATBELT_PLATFORM_DEFAULTS = `; macOS platform defaults: appended when reads are restricted and the policy includes them
; (ReadOnlyAccess restricted with includePlatformDefaults).

; System libraries, data, preferences and databases.
(allow file-read* file-test-existence
  (subpath "/Library/Apple")
  (subpath "/Library/Filesystems/NetFSPlugins")
  (subpath "/Library/Preferences/Logging")
  (subpath "/private/var/db/DarwinDirectory/local/recordStore.data")
  (subpath "/private/var/db/timezone")
  (subpath "/System/Library/CoreServices")
  (subpath "/usr/lib")
  (subpath "/usr/share")
  (subpath "/Library/Preferences")
  (subpath "/var/db")
  (subpath "/private/var/db"))

; Code the dynamic loader maps as executable.
(allow file-map-executable
  (subpath "/Library/Apple/System/Library/Frameworks")
  (subpath "/Library/Apple/System/Library/PrivateFrameworks")
  (subpath "/Library/Apple/usr/lib")
  (subpath "/System/Library/Extensions")
  (subpath "/System/Library/Frameworks")
  (subpath "/System/Library/PrivateFrameworks")
  (subpath "/System/Library/SubFrameworks")
  (subpath "/System/iOSSupport/System/Library/Frameworks")
  (subpath "/System/iOSSupport/System/Library/PrivateFrameworks")
  (subpath "/System/iOSSupport/System/Library/SubFrameworks")
  (subpath "/usr/lib"))

(allow system-mac-syscall (mac-policy-name "vnguard"))
(allow system-mac-syscall
  (require-all
    (mac-policy-name "Sandbox")
    (mac-syscall-number 67)))

(allow file-read-metadata file-test-existence
  (literal "/etc")
  (literal "/tmp")
  (literal "/var")
  (literal "/private/etc/localtime")
  (path-ancestors "/System/Volumes/Data/private"))

; The root folder itself, so that processes can find their working directory.
(allow file-read* file-test-existence (literal "/"))

(allow system-fsctl (fsctl-command FSIOC_CAS_BSDFLAGS))

(allow file-read* file-test-existence
  (literal "/dev/autofs_nowait")
  (literal "/dev/random")
  (literal "/dev/urandom")
  (literal "/private/etc/master.passwd")
  (literal "/private/etc/passwd")
  (literal "/private/etc/protocols")
  (literal "/private/etc/services"))

(allow file-read* file-test-existence file-write-data
  (literal "/dev/null")
  (literal "/dev/zero"))

(allow file-read-data file-test-existence file-write-data (subpath "/dev/fd"))

(allow file-read* file-test-existence file-write-data file-ioctl (literal "/dev/dtracehelper"))

; Scratch space.
(allow file-read* file-test-existence file-write* (subpath "/tmp"))
(allow file-read* file-write*
  (subpath "/private/tmp")
  (subpath "/var/tmp")
  (subpath "/private/var/tmp"))

(allow file-read*
  (subpath "/etc")
  (subpath "/private/etc"))
(allow file-read-metadata
  (subpath "/var")
  (subpath "/private/var"))

(allow iokit-open (iokit-registry-entry-class "RootDomainUserClient"))

; System services: user lookups, logging, preferences, trust, power and audio.
(allow mach-lookup
  (global-name "com.apple.system.opendirectoryd.libinfo")
  (global-name "com.apple.analyticsd")
  (global-name "com.apple.analyticsd.messagetracer")
  (global-name "com.apple.appsleep")
  (global-name "com.apple.bsd.dirhelper")
  (global-name "com.apple.cfprefsd.agent")
  (global-name "com.apple.cfprefsd.daemon")
  (global-name "com.apple.diagnosticd")
  (global-name "com.apple.dt.automationmode.reader")
  (global-name "com.apple.espd")
  (global-name "com.apple.logd")
  (global-name "com.apple.logd.events")
  (global-name "com.apple.runningboard")
  (global-name "com.apple.secinitd")
  (global-name "com.apple.system.DirectoryService.libinfo_v1")
  (global-name "com.apple.system.logger")
  (global-name "com.apple.system.notification_center")
  (global-name "com.apple.system.opendirectoryd.membership")
  (global-name "com.apple.trustd")
  (global-name "com.apple.trustd.agent")
  (global-name "com.apple.xpc.activity.unmanaged")
  (local-name "com.apple.cfprefsd.agent")
  (global-name "com.apple.audio.audiohald")
  (global-name "com.apple.audio.AudioComponentRegistrar")
  (global-name "com.apple.PowerManagement.control"))

; Logging to syslog and notifications.
(allow network-outbound (literal "/private/var/run/syslog"))
(allow ipc-posix-shm-read* (ipc-posix-name "apple.shm.notification_center"))
(allow file-read* (literal "/private/var/db/eligibilityd/eligibility.plist"))

; Programs in the system's executable folders.
(allow file-read-data file-read-metadata
  (subpath "/bin")
  (subpath "/sbin")
  (subpath "/usr/bin")
  (subpath "/usr/sbin")
  (subpath "/usr/libexec"))

(allow file-read*
  (subpath "/Library/Preferences")
  (subpath "/opt/homebrew/lib")
  (subpath "/usr/local/lib")
  (subpath "/Applications"))

; The terminal: standard streams, ttys and pseudo-terminals.
(allow file-read* (regex #"^/dev/fd/(0|1|2)$"))
(allow file-write* (regex #"^/dev/fd/(1|2)$"))
(allow file-read* file-write*
  (literal "/dev/null")
  (literal "/dev/tty"))
(allow file-read-metadata
  (literal "/dev")
  (regex #"^/dev/.*$")
  (literal "/dev/stdin")
  (literal "/dev/stdout")
  (literal "/dev/stderr")
  (regex #"^/dev/tty[^/]*$")
  (regex #"^/dev/pty[^/]*$"))
(allow file-read* file-write*
  (regex #"^/dev/ttys[0-9]+$")
  (literal "/dev/ptmx"))
(allow file-ioctl (regex #"^/dev/ttys[0-9]+$"))

; The volume folders on the way to the users' homes.
(allow file-read-metadata
  (require-all
    (vnode-type DIRECTORY)
    (require-any
      (literal "/System/Volumes")
      (literal "/System/Volumes/Data")
      (literal "/System/Volumes/Data/Users"))))

; Files the user handed to the process through sandbox extensions.
(allow file-read* (extension "com.apple.app-sandbox.read"))
(allow file-read* file-write* (extension "com.apple.app-sandbox.read-write"))
`;
