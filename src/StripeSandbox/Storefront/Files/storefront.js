// The storefront calls the Api exactly as the real frontend does: cross-origin, JSON, problem details on errors.
const api = window.PUFFIN_API_URL;
const form = document.getElementById("offset-form");
const portfolioSelect = document.getElementById("portfolio");
const tonsInput = document.getElementById("tons");
const estimate = document.getElementById("estimate");
const errorBox = document.getElementById("error");
let portfolios = [];

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function problemText(problem) {
  const fieldErrors = problem.errors ? Object.values(problem.errors).flat() : [];
  return [problem.detail || problem.title || "Something went wrong.", ...fieldErrors].join(" ");
}

function updateEstimate() {
  const portfolio = portfolios.find(p => String(p.id) === portfolioSelect.value);
  const tons = Number(tonsInput.value);
  document.getElementById("portfolio-description").textContent = portfolio ? portfolio.description : "";
  // Display only: the Api computes the real amount in decimal arithmetic.
  estimate.textContent = portfolio && tons > 0
    ? `$${(Math.ceil(tons * portfolio.pricePerTon * 100) / 100).toFixed(2)}`
    : "—";
}

async function loadPortfolios() {
  if (!api) {
    showError("PUFFIN_API_URL is not configured: the storefront does not know where the Api is.");
    return;
  }
  let response;
  try {
    response = await fetch(`${api}/api/portfolios`);
  } catch {
    showError("The shop cannot be reached right now. Please try again.");
    return;
  }
  if (!response.ok) {
    showError(problemText(await response.json().catch(() => ({}))));
    return;
  }
  portfolios = await response.json();
  // Text nodes, never HTML: names come from another service.
  portfolioSelect.replaceChildren(...portfolios.map(p => new Option(`${p.name} — $${p.pricePerTon}/t`, String(p.id))));
  updateEstimate();
}

form.addEventListener("submit", async event => {
  event.preventDefault();
  errorBox.hidden = true;
  const button = document.getElementById("buy");
  button.disabled = true;
  try {
    const body = {
      tons: Number(tonsInput.value),
      portfolioId: Number(portfolioSelect.value),
      customerEmail: document.getElementById("email").value || undefined,
    };
    const response = await fetch(`${api}/api/checkout/create-session`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
      body: JSON.stringify(body),
    });
    const payload = await response.json();
    if (!response.ok) {
      showError(problemText(payload));
      return;
    }
    window.location.assign(payload.url);
  } catch {
    showError("The shop cannot be reached right now. Please try again.");
  } finally {
    button.disabled = false;
  }
});

portfolioSelect.addEventListener("change", updateEstimate);
tonsInput.addEventListener("input", updateEstimate);
loadPortfolios();
