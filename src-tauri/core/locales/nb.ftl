# Tokentrays ord til et menneske: systemstatusfeltet, sammendraget, varsler og CLI-tabellene.

## The tray menu
tray-copy-token = Kopier token
tray-more = { $n } til i vinduet…
tray-refresh-all = Forny alle
tray-open = Åpne Tokentray
tray-quit = Avslutt
tray-cannot-copy = Kan ikke kopiere tokenet til { $name }

## The tray's summary line
summary-none = Tokentray: ingen kontoer ennå
summary-ok = { $n ->
    [one] { $n } token i orden
   *[other] { $n } tokener i orden
}
summary-expires-one = 1 utløper om { $soon }
summary-expire-many = { $n } utløper snart (første om { $soon })
summary-retrying = { $n } prøver igjen
summary-fetching = { $n } hentes
summary-need-you = { $n ->
    [one] { $n } trenger deg
   *[other] { $n } trenger deg
}

## Statuses
status-ok = i orden
status-pending = hentes
status-retrying = prøver igjen
status-expiring = utløper snart
status-failing = feiler
status-expired = utløpt
status-needs-login = må logge inn
status-refused = avvist
status-needs-you = trenger deg

## What runs out
credential-token = tokenet
credential-secret = hemmeligheten
credential-refresh-token = fornyelsestokenet
credential-subject-token = subjekttokenet
credential-client-certificate = klientsertifikatet

## Durations
duration-days = { $d } d { $h } t
duration-hours = { $h } t { $m } min
duration-minutes = { $m } min { $s } s
duration-seconds = { $s } s
relative-in = om { $left }
relative-ago = for { $left } siden
relative-never = aldri

## Notifications
notice-expiry-title = { $account } utløper snart
notice-expiry-body = { $account }: { $credential } utløper om { $left } ({ $at }). Tokentray kan ikke fornye det: lim inn et nytt (Rediger) før da.
notice-failing-title = { $account }: ingen gyldig token
notice-failing-body = Fornyelsen feiler stadig, og det siste tokenet er utløpt: { $message }. Tokentray fortsetter å prøve.
notice-renew-title = { $account }: fornyelsen feilet
notice-renew-body = { $message }. Tokentray prøver igjen; det nåværende brukes så lenge det er gyldig.
notice-reauth-title = { $account } trenger deg
notice-reauth-body = { $message }. Logg inn på nytt eller rett kontoen i Tokentray.
notice-expired-title = { $account } er utløpt
notice-expired-body = Tokenet er utløpt og leveres ikke lenger: lim inn et nytt i Tokentray.

## The CLI's tables
cli-head-account = KONTO
cli-head-grant = TYPE
cli-head-status = STATUS
cli-head-expires = UTLØPER
cli-head-runs-out = GÅR UT (KAN IKKE FORNYES)
cli-assumed = (antatt)

notice-refused-title = { $account }: et program ble avvist
notice-refused-body = { $program } ({ $path }) ba om tokenet og ble avvist: { $why }.
notice-why-refused = lend_to nevner det ikke
notice-why-denied = du tillot det ikke
notice-why-locked = Tokentray er låst
notice-approval-title = Tillate { $program } å bruke { $account }?
notice-approval-body = { $program } ({ $path }) ber om tokenet til { $account } ({ $via }).
notice-approval-once = Tillat én gang
notice-approval-hours = Tillat i 8 timer
notice-approval-deny = Avvis
notice-approval-in-tray = Svar i Tokentray-menyen i systemstatusfeltet.
notice-no-webview-title = Tokentray kan ikke åpne vinduet sitt
notice-no-webview-body = Kontovinduet trenger Microsoft Edge WebView2, som mangler her: hent Evergreen-kjøretiden fra https://developer.microsoft.com/microsoft-edge/webview2/ . Systemstatusfeltet, kommandolinjen og hjelperne virker uten.
notice-unlock-title = Låse opp Tokentray?
notice-unlock-body = { $program } ({ $path }) ber om å låse opp Tokentray.
tray-lock = Lås
tray-unlock = Lås opp
tray-locked = Låst: ingenting lånes ut
tray-approval = { $program } ber om { $account }
