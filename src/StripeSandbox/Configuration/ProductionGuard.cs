namespace PuffinOffset.StripeSandbox.Configuration;

/// <summary>
/// The sandbox takes payments that are not payments: it must never stand in for Stripe in production.
/// It therefore refuses to start in the Production environment (the default of a published app); the
/// AppHost runs it as Development, and only when no real Stripe key is configured.
/// </summary>
public static class ProductionGuard
{
    public static string? Refusal(IHostEnvironment environment) => environment.IsProduction()
        ? $"{environment.ApplicationName} is a local imitation of Stripe and refuses to run in the Production environment. "
          + "Set ASPNETCORE_ENVIRONMENT=Development to use it locally; in production point STRIPE_API_BASE at Stripe."
        : null;
}
