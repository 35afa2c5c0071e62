// Light or dark theme: the system's preference unless the reader chose one.
//
// Loaded from <head> as a classic, blocking script (no import or export, so it
// also parses as a module): it must set data-theme on <html> before the first
// paint, or a reader who picked the opposite of their system would see a flash
// of the wrong theme. A module script is deferred and can run too late, and the
// Content Security Policy forbids inline scripts.
//
// The stylesheet follows prefers-color-scheme by itself; data-theme="light" or
// "dark" on <html> overrides it. The choice lives in localStorage under
// "chatsite-theme" and is shared by every tab of the site.
"use strict";

{
  const STORAGE_KEY = "chatsite-theme";
  const root = document.documentElement;
  const systemDark = window.matchMedia("(prefers-color-scheme: dark)");

  let unsaved = null; // the choice, when storage is disabled

  const stored = () => {
    let value = unsaved;
    try {
      value = localStorage.getItem(STORAGE_KEY) || unsaved;
    } catch {
      // storage disabled: this page only
    }
    return value === "light" || value === "dark" ? value : null;
  };

  const current = () => stored() || (systemDark.matches ? "dark" : "light");

  const apply = () => {
    const choice = stored();
    if (choice) root.dataset.theme = choice;
    else delete root.dataset.theme;
    for (const button of document.querySelectorAll("[data-theme-toggle]")) {
      button.setAttribute("aria-pressed", String(current() === "dark"));
    }
    // The browser's bars (<meta name="theme-color">, one per scheme) follow a picked theme too.
    for (const meta of document.querySelectorAll("meta[data-theme-color]")) {
      const scheme = meta.dataset.themeColor;
      meta.media = choice ? (scheme === choice ? "all" : "not all") : `(prefers-color-scheme: ${scheme})`;
    }
  };

  // Scripts are on: show the controls that need them (see .js in chat.css).
  root.classList.add("js");
  apply();

  const choose = (theme) => {
    unsaved = theme;
    try {
      localStorage.setItem(STORAGE_KEY, theme);
    } catch {
      // Not remembered, but this page still switches.
    }
    apply();
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-theme-toggle]");
    if (button) choose(current() === "dark" ? "light" : "dark");
  });
  document.addEventListener("DOMContentLoaded", apply);
  systemDark.addEventListener("change", apply);
  // Another tab changed the theme.
  window.addEventListener("storage", (event) => {
    if (event.key === STORAGE_KEY) apply();
  });
}
