namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The sandboxes (local imitations of Stripe and Wren) take payments and orders that are not real: they
/// must never stand in for the real services in production. Each refuses to start in the Production
/// environment — the default of a published app with no ASPNETCORE_ENVIRONMENT — and the AppHost runs
/// them as Development, only in run mode and only when no real key is configured.
/// </summary>
public static class SandboxGuard
{
    public static string? ProductionRefusal(IHostEnvironment environment, string imitated) => environment.IsProduction()
        ? $"{environment.ApplicationName} is a local imitation of {imitated} and refuses to run in the Production environment. "
          + $"Set ASPNETCORE_ENVIRONMENT=Development to use it locally; in production use {imitated} itself."
        : null;
}
