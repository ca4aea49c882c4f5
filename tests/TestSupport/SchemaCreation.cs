using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PuffinOffset.TestSupport;

/// <summary>
/// The schema of a test context that has no migrations (the messaging library's own), created as a hosted
/// step the way the services' <c>AddMigration</c> migrates theirs: before any other hosted service starts
/// (bus, outbox dispatcher), so a test host never creates its schema by hand.
/// </summary>
public static class SchemaCreation
{
    public static IServiceCollection AddSchemaCreation<TContext>(this IServiceCollection services) where TContext : DbContext =>
        services.AddHostedService<Step<TContext>>();

    private sealed class Step<TContext>(IServiceScopeFactory scopes) : IHostedLifecycleService where TContext : DbContext
    {
        public async Task StartingAsync(CancellationToken cancellationToken)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<TContext>().Database.EnsureCreatedAsync(cancellationToken);
        }

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
