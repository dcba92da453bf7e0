/**
 * A systemd timer unit that runs its service every N seconds, for the VM's periodic jobs
 * (secret sync, session reaper). Pure: no `@pulumi/*` import.
 */

/**
 * The timer unit text: the service first `periodSeconds` seconds after the timer starts (OnActiveSec), then
 * `periodSeconds` seconds after each run began (OnUnitActiveSec), to the second (AccuracySec=1s; systemd's
 * default of 1 min would let runs drift by up to a minute). Enabled by timers.target.
 * Source: systemd.timer(5) (systemd 252 on Debian 12, 257 on 13), OnActiveSec=, OnUnitActiveSec=, AccuracySec=.
 * @param periodSeconds whole seconds between runs
 */
export function periodicTimer(periodSeconds: number): string {
    return `[Timer]
OnActiveSec=${periodSeconds}s
OnUnitActiveSec=${periodSeconds}s
AccuracySec=1s

[Install]
WantedBy=timers.target
`;
}
