# Слова Tokentray для человека: меню в трее, сводка, уведомления и таблицы CLI.

## The tray menu
tray-copy-token = Скопировать токен
tray-more = Ещё { $n } — в окне…
tray-refresh-all = Обновить все
tray-open = Открыть Tokentray
tray-quit = Выйти
tray-cannot-copy = Не удалось скопировать токен { $name }

## The tray's summary line
summary-none = Tokentray: учётных записей пока нет
summary-ok = { $n ->
    [one] { $n } токен в порядке
    [few] { $n } токена в порядке
   *[many] { $n } токенов в порядке
}
summary-expires-one = 1 истекает через { $soon }
summary-expire-many = { $n ->
    [one] { $n } скоро истекает (первый через { $soon })
   *[other] { $n } скоро истекают (первый через { $soon })
}
summary-retrying = { $n } — повторные попытки
summary-fetching = { $n } — получение
summary-need-you = { $n ->
    [one] { $n } требует внимания
   *[other] { $n } требуют внимания
}

## Statuses
status-ok = в порядке
status-pending = получение
status-retrying = повтор
status-expiring = скоро истекает
status-failing = сбой
status-expired = истёк
status-needs-login = нужен вход
status-refused = отказано
status-needs-you = требует внимания

## What runs out
credential-token = токен
credential-secret = секрет
credential-refresh-token = токен обновления
credential-subject-token = исходный токен
credential-client-certificate = сертификат клиента

## Durations
duration-days = { $d } д { $h } ч
duration-hours = { $h } ч { $m } мин
duration-minutes = { $m } мин { $s } с
duration-seconds = { $s } с
relative-in = через { $left }
relative-ago = { $left } назад
relative-never = никогда

## Notifications
notice-expiry-title = { $account }: скоро истечёт
notice-expiry-body = { $account }: { $credential } истекает через { $left } ({ $at }). Tokentray не может его продлить: вставьте новый (Изменить) до этого срока.
notice-failing-title = { $account }: нет действующего токена
notice-failing-body = Обновление не удаётся, а последний токен истёк: { $message }. Tokentray продолжает попытки.
notice-renew-title = { $account }: продление не удалось
notice-renew-body = { $message }. Tokentray повторит попытку; текущий используется, пока он действителен.
notice-reauth-title = { $account } требует внимания
notice-reauth-body = { $message }. Войдите снова или исправьте учётную запись в Tokentray.
notice-expired-title = { $account }: срок истёк
notice-expired-body = Токен истёк и больше не выдаётся: вставьте новый в Tokentray.

## The CLI's tables
cli-head-account = УЧЁТНАЯ ЗАПИСЬ
cli-head-grant = ТИП
cli-head-status = СОСТОЯНИЕ
cli-head-expires = ИСТЕКАЕТ
cli-head-runs-out = КОНЕЦ СРОКА (БЕЗ ПРОДЛЕНИЯ)
cli-assumed = (предположительно)

notice-refused-title = { $account }: программе отказано
notice-refused-body = { $program } ({ $path }) запросила токен и получила отказ: { $why }.
notice-why-refused = её нет в lend_to
notice-why-denied = вы не разрешили
notice-why-locked = Tokentray заблокирован
notice-approval-title = Разрешить { $program } использовать { $account }?
notice-approval-body = { $program } ({ $path }) запрашивает токен { $account } ({ $via }).
notice-approval-once = Разрешить один раз
notice-approval-hours = Разрешить на 8 часов
notice-approval-deny = Отказать
notice-approval-in-tray = Ответьте в меню Tokentray в системном трее.
notice-no-webview-title = Tokentray не может открыть окно
notice-no-webview-body = Окну учётных записей нужен Microsoft Edge WebView2, которого нет в системе: установите Evergreen runtime с https://developer.microsoft.com/microsoft-edge/webview2/ . Трей, командная строка и помощники работают и без него.
notice-unlock-title = Разблокировать Tokentray?
notice-unlock-body = { $program } ({ $path }) просит разблокировать Tokentray.
tray-lock = Заблокировать
tray-unlock = Разблокировать
tray-locked = Заблокировано: ничего не выдаётся
tray-approval = { $program } запрашивает { $account }
