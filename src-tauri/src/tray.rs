//! The tray icon and its menu: the icon shows the worst state of all accounts, the tooltip
//! (and the menu's first line, since Linux trays show no tooltip) says why, and the menu has a
//! "Copy token" per account. Menu ids are matched in one place.

use tauri::image::Image;
use tauri::menu::{IsMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};
use tokentray_core::clipboard::{copy, Copyable};
use tokentray_core::i18n::{self, word, Lang};
use tokentray_core::notices::Notice;
use tokentray_core::summary::{summarize, Level};
use tokentray_core::EngineHandle;

const TRAY: &str = "main";
const OPEN: &str = "open";
const QUIT: &str = "quit";
const REFRESH_ALL: &str = "refresh-all";
const COPY: &str = "copy:";
const LOCK: &str = "lock";
const UNLOCK: &str = "unlock";
/// `answer:ID:once|hours|deny`: a first use waiting for the person.
const ANSWER: &str = "answer:";
/// More accounts than this are reached through the window.
const MENU_ACCOUNTS: usize = 20;

pub fn create(app: &AppHandle) -> tauri::Result<()> {
    TrayIconBuilder::with_id(TRAY)
        .tooltip("Tokentray")
        .icon(icon(Level::Ok)?)
        .menu(&menu(app, "Tokentray", crate::settings::language(app))?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::launcher::show(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

/// Redraws icon, tooltip and menu from the engine's accounts.
pub fn update(app: &AppHandle) {
    let Some(tray) = app.tray_by_id(TRAY) else {
        return;
    };
    let engine = app.state::<EngineHandle>();
    let accounts = engine.list();
    #[allow(clippy::disallowed_methods)] // the tray's countdown is read at the edge
    let now = chrono::Utc::now();
    let lang = crate::settings::language(app);
    let summary = summarize(&accounts, now, lang);
    let _ = tray.set_tooltip(Some(&summary.text));
    if let Ok(icon) = icon(summary.level) {
        let _ = tray.set_icon(Some(icon));
    }
    if let Ok(menu) = menu(app, &summary.text, lang) {
        let _ = tray.set_menu(Some(menu));
    }
}

fn icon(level: Level) -> tauri::Result<Image<'static>> {
    Image::from_bytes(match level {
        Level::Ok => include_bytes!("../icons/tray-ok.png"),
        Level::Warn => include_bytes!("../icons/tray-warn.png"),
        Level::Error => include_bytes!("../icons/tray-error.png"),
    })
}

/// The menu: the summary first (Linux trays show no tooltip), then the accounts.
fn menu(app: &AppHandle, summary: &str, lang: Lang) -> tauri::Result<Menu<Wry>> {
    let accounts = app.state::<EngineHandle>().list();
    let item = |id: &str, label: &str, enabled: bool| -> tauri::Result<Box<dyn IsMenuItem<Wry>>> {
        Ok(Box::new(MenuItem::with_id(
            app,
            id,
            label,
            enabled,
            None::<&str>,
        )?))
    };
    let separator = || -> tauri::Result<Box<dyn IsMenuItem<Wry>>> {
        Ok(Box::new(PredefinedMenuItem::separator(app)?))
    };
    let engine = app.state::<EngineHandle>();
    let locked = engine.is_locked();
    let summary = match locked {
        true => format!("{} — {}", word(lang, "tray-locked"), summary),
        false => summary.to_string(),
    };
    let mut items = vec![item("summary", &summary, false)?, separator()?];
    // First uses waiting for the person come first: they hold a program up.
    for approval in engine.approvals() {
        let (notice, answers) = tokentray_core::notices::approval(&approval, lang);
        let answer = |key: &str, label: &str| {
            MenuItem::with_id(
                app,
                format!("{ANSWER}{}:{key}", approval.id),
                label,
                true,
                None::<&str>,
            )
        };
        let once = answer("once", &answers[0])?;
        let hours = answer("hours", &answers[1])?;
        let deny = answer("deny", &answers[2])?;
        let label = match approval.account.as_str() {
            "" => notice.title.clone(),
            account => i18n::text(
                lang,
                "tray-approval",
                &[
                    ("program", i18n::s(&approval.program.name)),
                    ("account", i18n::s(account)),
                ],
            ),
        };
        items.push(Box::new(Submenu::with_items(
            app,
            label,
            true,
            &[&once, &hours, &deny],
        )?));
    }
    for a in accounts.iter().take(MENU_ACCOUNTS) {
        let copy = MenuItem::with_id(
            app,
            format!("{COPY}{}", a.name),
            word(lang, "tray-copy-token"),
            true,
            None::<&str>,
        )?;
        let label = format!("{} — {}", a.name, a.status.label_in(lang, Some(a.grant)));
        items.push(Box::new(Submenu::with_items(app, label, true, &[&copy])?));
    }
    if accounts.len() > MENU_ACCOUNTS {
        let more = i18n::text(
            lang,
            "tray-more",
            &[("n", i18n::n((accounts.len() - MENU_ACCOUNTS) as u32))],
        );
        items.push(item(OPEN, &more, true)?);
    }
    if !accounts.is_empty() {
        items.push(separator()?);
        items.push(item(REFRESH_ALL, &word(lang, "tray-refresh-all"), true)?);
    }
    items.push(match locked {
        true => item(UNLOCK, &word(lang, "tray-unlock"), true)?,
        false => item(LOCK, &word(lang, "tray-lock"), true)?,
    });
    items.push(item(OPEN, &word(lang, "tray-open"), true)?);
    items.push(item(QUIT, &word(lang, "tray-quit"), true)?);
    let refs: Vec<&dyn IsMenuItem<Wry>> = items.iter().map(|i| i.as_ref()).collect();
    Menu::with_items(app, &refs)
}

fn on_menu(app: &AppHandle, id: &str) {
    match id {
        OPEN => crate::launcher::show(app),
        QUIT => app.exit(0),
        REFRESH_ALL => {
            let engine = app.state::<EngineHandle>().inner().clone();
            tauri::async_runtime::spawn(async move {
                for a in engine.list() {
                    let _ = engine.refresh(&a.name).await;
                }
            });
        }
        LOCK => app.state::<EngineHandle>().set_locked(true),
        // A click on the tray is the person's.
        UNLOCK => app.state::<EngineHandle>().set_locked(false),
        _ if id.starts_with(ANSWER) => {
            if let Some((approval, decision)) = crate::ask::parse_answer(&id[ANSWER.len()..]) {
                crate::ask::answer(app, approval, decision);
            }
        }
        _ => {
            if let Some(name) = id.strip_prefix(COPY) {
                let (app, name) = (app.clone(), name.to_string());
                tauri::async_runtime::spawn(async move {
                    let engine = app.state::<EngineHandle>().inner().clone();
                    let desk = crate::clipboard::Desk(app.clone());
                    let via = tokentray_core::lending::Via::TrayCopy;
                    let copied = copy(&engine, &desk, &name, &Copyable::Token, via).await;
                    if let Err(e) = copied {
                        let title = i18n::text(
                            crate::settings::language(&app),
                            "tray-cannot-copy",
                            &[("name", i18n::s(&name))],
                        );
                        let body = format!("{}: {}", e.code(), e.message());
                        crate::notify::show(&app, &Notice { title, body });
                    }
                });
            }
        }
    }
}
