# Tokentray's words for a person: the tray, its summary, notifications and the CLI's tables.
# Every message here must be in nb.ftl and ru.ftl too (a test holds them to it).

## The tray menu
tray-copy-token = Copy token
tray-more = { $n } more in the window…
tray-refresh-all = Refresh all
tray-open = Open Tokentray
tray-quit = Quit
tray-cannot-copy = Cannot copy { $name }'s token

## The tray's summary line
summary-none = Tokentray: no accounts yet
summary-ok = { $n ->
    [one] { $n } token ok
   *[other] { $n } tokens ok
}
summary-expires-one = 1 expires in { $soon }
summary-expire-many = { $n } expire soon (first in { $soon })
summary-retrying = { $n } retrying
summary-fetching = { $n } fetching
summary-need-you = { $n ->
    [one] { $n } needs you
   *[other] { $n } need you
}

## Statuses
status-ok = ok
status-pending = fetching
status-retrying = retrying
status-expiring = expiring
status-failing = failing
status-expired = expired
status-needs-login = needs login
status-refused = refused
status-needs-you = needs you

## What runs out
credential-token = token
credential-secret = secret
credential-refresh-token = refresh token
credential-subject-token = subject token
credential-client-certificate = client certificate

## Durations: two units, the smaller padded by the caller
duration-days = { $d }d { $h }h
duration-hours = { $h }h { $m }m
duration-minutes = { $m }m { $s }s
duration-seconds = { $s }s
relative-in = in { $left }
relative-ago = { $left } ago
relative-never = never

## Notifications
notice-expiry-title = { $account } expires soon
notice-expiry-body = { $account }'s { $credential } expires in { $left } ({ $at }). Tokentray cannot renew it: paste a new one (Edit) before then.
notice-failing-title = { $account }: no valid token
notice-failing-body = Refreshing keeps failing and the last token has run out: { $message }. Tokentray keeps retrying.
notice-renew-title = { $account }: renewing failed
notice-renew-body = { $message }. Tokentray retries; the current one stays in use while it is valid.
notice-reauth-title = { $account } needs you
notice-reauth-body = { $message }. Log in again or fix the account in Tokentray.
notice-expired-title = { $account } has expired
notice-expired-body = The token ran out and is no longer served: paste a new one in Tokentray.

## The CLI's tables (`tokentray list`, `tokentray status`)
cli-head-account = ACCOUNT
cli-head-grant = GRANT
cli-head-status = STATUS
cli-head-expires = EXPIRES
cli-head-runs-out = RUNS OUT (CANNOT RENEW)
cli-assumed = (assumed)

notice-refused-title = { $account }: a program was turned away
notice-refused-body = { $program } ({ $path }) asked for the token and was refused: { $why }.
notice-why-refused = its lend_to does not name it
notice-why-denied = you did not allow it
notice-why-locked = Tokentray is locked
notice-approval-title = Allow { $program } to use { $account }?
notice-approval-body = { $program } ({ $path }) asks for the token of { $account } ({ $via }).
notice-approval-once = Allow once
notice-approval-hours = Allow for 8 hours
notice-approval-deny = Deny
notice-approval-in-tray = Answer in the Tokentray menu, in the tray.
notice-no-webview-title = Tokentray cannot open its window
notice-no-webview-body = The accounts window needs Microsoft Edge WebView2, which this system lacks: get the Evergreen runtime from https://developer.microsoft.com/microsoft-edge/webview2/ . The tray, the CLI and the helpers work without it.
notice-unlock-title = Unlock Tokentray?
notice-unlock-body = { $program } ({ $path }) asks to unlock Tokentray.
tray-lock = Lock
tray-unlock = Unlock
tray-locked = Locked: nothing is lent
tray-approval = { $program } asks for { $account }
