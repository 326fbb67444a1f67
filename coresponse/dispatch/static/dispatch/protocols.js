// The protocol editor: a problem's "line N" link selects that line in the text and scrolls to
// it. Without JavaScript the link still moves focus to the text area.
document.addEventListener("click", (event) => {
  const link = event.target.closest(".problem-line");
  if (!link) return;
  const area = document.querySelector("textarea.proto-text");
  if (!area) return;
  event.preventDefault();
  const lines = area.value.split("\n");
  const n = Math.max(1, Math.min(Number(link.dataset.line), lines.length));
  const start = lines.slice(0, n - 1).reduce((sum, line) => sum + line.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + lines[n - 1].length);
  const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 20;
  area.scrollTop = Math.max(0, (n - 4) * lineHeight);
});
