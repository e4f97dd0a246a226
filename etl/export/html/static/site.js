// Local time on hover: every <time datetime> gets a title in the reader's time zone.
document.addEventListener("DOMContentLoaded", () => {
  for (const el of document.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!isNaN(when)) el.title = when.toLocaleString() + " (local time)";
  }
  // A link to a reply inside a closed thread opens the thread.
  const open = () => {
    if (!location.hash) return;
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    for (let el = target; el; el = el.parentElement) if (el.tagName === "DETAILS") el.open = true;
    if (target) target.scrollIntoView();
  };
  window.addEventListener("hashchange", open);
  open();
});
