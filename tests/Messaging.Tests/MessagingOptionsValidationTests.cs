using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Tests;

/// <summary>A malformed Outbox, MessageRetention or broker variable is a configuration failure naming it, not the binder's exception.</summary>
[Trait("Engine", "Neutral")]
public sealed class MessagingOptionsValidationTests
{
    [Fact]
    public void A_malformed_outbox_TimeSpan_or_number_is_reported_by_its_variable_name()
    {
        using var services = Services(new()
        {
            ["Outbox:PollInterval"] = "2s",
            ["Outbox:BatchSize"] = "lots",
        });

        var invalid = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<OutboxOptions>>().Value);

        var failures = invalid.Failures;
        Assert.Contains(failures, f => f.StartsWith("Outbox__PollInterval is not a valid TimeSpan", StringComparison.Ordinal) && f.Contains("'2s'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Outbox__BatchSize is not a valid whole number", StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_retention_TimeSpan_is_reported_by_its_variable_name()
    {
        using var services = Services(new() { ["MessageRetention:Inbox"] = "30 days" });

        var invalid = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MessageRetentionOptions>>().Value);

        Assert.Contains(invalid.Failures, f => f.StartsWith("MessageRetention__Inbox is not a valid TimeSpan", StringComparison.Ordinal));
    }

    [Fact]
    public void Well_formed_values_are_bound_and_still_range_checked()
    {
        using var services = Services(new()
        {
            ["Outbox:PollInterval"] = "00:00:05",
            ["Outbox:BatchSize"] = "50",
            ["MessageRetention:Interval"] = "00:30:00",
        });

        var outbox = services.GetRequiredService<IOptions<OutboxOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(5), outbox.PollInterval);
        Assert.Equal(50, outbox.BatchSize);
        Assert.Equal(TimeSpan.FromMinutes(30), services.GetRequiredService<IOptions<MessageRetentionOptions>>().Value.Interval);

        using var outOfRange = Services(new() { ["Outbox:BatchSize"] = "0" });
        Assert.Throws<OptionsValidationException>(() => outOfRange.GetRequiredService<IOptions<OutboxOptions>>().Value);
    }

    [Theory]
    [InlineData("Production", false, true)]
    [InlineData("Production", true, false)]
    [InlineData("Testing", false, false)]
    public void A_switched_off_dispatcher_is_refused_in_Production(string environment, bool dispatcherEnabled, bool refused)
    {
        using var services = Services(new() { ["Outbox:DispatcherEnabled"] = dispatcherEnabled.ToString() }, environment);

        if (refused)
        {
            var invalid = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<OutboxOptions>>().Value);
            Assert.StartsWith("Outbox__DispatcherEnabled=false is for tests only", Assert.Single(invalid.Failures), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(dispatcherEnabled, services.GetRequiredService<IOptions<OutboxOptions>>().Value.DispatcherEnabled);
        }
    }

    [Fact]
    public void An_unknown_queue_type_is_a_startup_error_naming_it()
    {
        using var services = Services(new() { ["RABBITMQ_QUEUE_TYPE"] = "mirrored" });

        var invalid = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BrokerOptions>>().Value);

        var failure = Assert.Single(invalid.Failures);
        Assert.Contains("RABBITMQ_QUEUE_TYPE", failure, StringComparison.Ordinal);
        Assert.Contains("'mirrored'", failure, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> values, string? environment = null)
    {
        values["ConnectionStrings:messaging"] = "amqp://guest:guest@127.0.0.1:1/";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        if (environment is not null)
        {
            services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment });
        }

        services.AddMessaging<TestDbContext>(configuration, _ => { });
        return services.BuildServiceProvider();
    }
}
