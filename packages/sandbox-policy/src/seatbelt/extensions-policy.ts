/**
 * The macOS permission profile extensions section, last in every Seatbelt profile: read access
 * to the user's preferences (`cfprefsd` services, their shared memory, `user-preference-read`),
 * which many system tools and frameworks need to start. Ends with a newline.
 *
 * @example
 * ```ts
 * SEATBELT_EXTENSIONS_POLICY.includes('(allow user-preference-read)'); // true
 * ```
 */
export const SEATBELT_EXTENSIONS_POLICY = `; macOS permission profile extensions
(allow ipc-posix-shm-read* (ipc-posix-name-prefix "apple.cfprefs."))
(allow mach-lookup
  (global-name "com.apple.cfprefsd.daemon")
  (global-name "com.apple.cfprefsd.agent")
  (local-name "com.apple.cfprefsd.agent"))
(allow user-preference-read)
`;
