namespace PuffinOffset.WrenSandbox;

/// <summary>Config section <c>WrenSandbox</c>.</summary>
public sealed class WrenSandboxOptions
{
    public const string Section = "WrenSandbox";

    /// <summary>Live (persisting) team tokens; any <c>wren_test_…</c> token is accepted in test mode.</summary>
    public List<string> LiveTokens { get; set; } = [];

    /// <summary>Wren's Stripe minimum: a smaller charge is refused with 400.</summary>
    public long MinimumChargeCents { get; set; } = 100;

    public List<SandboxPortfolio> Portfolios { get; set; } = [];

    public static readonly SandboxPortfolio[] DefaultPortfolios =
    [
        new(21, "Trailblazer", "A portfolio focused on cutting-edge carbon removal technology.", 401.71m,
            [new(18, "Biochar carbon removal", 242.86m, 0.2099m, "standard 2023"), new(31, "Direct air capture", 600.00m, 0.3901m, "standard 2023"), new(33, "Enhanced weathering", 330.50m, 0.4m, "standard 2023")]),
        new(12, "Wren Climate Fund", "Wren's default portfolio: a mix of removal and protection projects.", 23.45m,
            [new(5, "Rainforest protection", 15.20m, 0.6m, "verra 2022"), new(8, "Methane capture", 35.825m, 0.4m, "gold standard 2021")]),
        new(7, "Forests", "Protecting and restoring tropical forests.", 12.345m,
            [new(3, "Amazon protection", 12.345m, 1m, "verra 2022")]),
    ];
}

public sealed record SandboxPortfolio(int Id, string Name, string Description, decimal CostPerTon, SandboxProject[] Projects);

public sealed record SandboxProject(int Id, string Name, decimal CostPerTon, decimal Percentage, string CertificationStatus);
