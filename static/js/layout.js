// Drawers on narrow screens: the room sidebar and the member list.
//
// On a phone there is no room for three columns, so the stylesheet turns the
// sidebar and the member list into panels that slide over the chat. Each has a
// header button (aria-controls names the panel, aria-expanded says whether it
// is open). A drawer closes with Esc, a click outside it, or picking a room in
// it; only one is open at a time. On wide screens the panels are ordinary
// columns and the buttons are hidden, so nothing here applies.

const buttons = Array.from(document.querySelectorAll("[data-drawer-toggle]"));

function panelOf(button) {
  return document.getElementById(button.getAttribute("aria-controls"));
}

function isDrawer(panel) {
  // The stylesheet says whether this panel is a drawer at the current width.
  return getComputedStyle(panel).getPropertyValue("--drawer").trim() === "1";
}

function close(button, { restoreFocus = false } = {}) {
  const panel = panelOf(button);
  if (!panel || button.getAttribute("aria-expanded") !== "true") return;
  button.setAttribute("aria-expanded", "false");
  panel.classList.remove("drawer-open");
  if (!buttons.some((b) => b.getAttribute("aria-expanded") === "true")) document.body.classList.remove("drawer-shown");
  if (restoreFocus || panel.contains(document.activeElement)) button.focus();
}

function open(button) {
  const panel = panelOf(button);
  if (!panel) return;
  for (const other of buttons) if (other !== button) close(other);
  button.setAttribute("aria-expanded", "true");
  panel.classList.add("drawer-open");
  document.body.classList.add("drawer-shown");
  // Move focus in, so keyboard users land in what they opened.
  const first = panel.querySelector("a[href], button:not([disabled]), input, [tabindex]:not([tabindex='-1'])");
  (first || panel).focus({ preventScroll: true });
}

for (const button of buttons) {
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-expanded") === "true") close(button);
    else open(button);
  });
}

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented) return;
  const openButton = buttons.find((b) => b.getAttribute("aria-expanded") === "true");
  if (openButton) {
    event.preventDefault();
    close(openButton, { restoreFocus: true });
  }
});

// A click (or tap) anywhere outside the open drawer and its button closes it.
document.addEventListener("pointerdown", (event) => {
  for (const button of buttons) {
    if (button.getAttribute("aria-expanded") !== "true") continue;
    if (button.contains(event.target) || panelOf(button)?.contains(event.target)) continue;
    close(button);
  }
});

// Tabbing out of an open drawer closes it, so it never hides where the focus went.
document.addEventListener("focusin", (event) => {
  for (const button of buttons) {
    if (button.getAttribute("aria-expanded") !== "true") continue;
    if (button === event.target || panelOf(button)?.contains(event.target)) continue;
    close(button);
  }
});

// Picking a room in the sidebar switches rooms in place; the drawer has done its job.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link) return;
  for (const button of buttons) {
    const panel = panelOf(button);
    if (panel?.contains(link) && isDrawer(panel)) close(button);
  }
});

// A window that grows past the phone layout turns drawers back into columns.
window.addEventListener("resize", () => {
  for (const button of buttons) {
    const panel = panelOf(button);
    if (panel && !isDrawer(panel)) close(button);
  }
});

// The member count shows on the members button too, so it is visible while the drawer is closed.
const counter = document.getElementById("member-count");
const mirror = document.querySelector("[data-mirror-count]");
if (counter && mirror) {
  const copy = () => {
    mirror.textContent = counter.textContent;
  };
  copy();
  new MutationObserver(copy).observe(counter, { childList: true, characterData: true, subtree: true });
}
