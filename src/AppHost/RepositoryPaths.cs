namespace PuffinOffset.AppHost;

/// <summary>Where local state lives: the repository's git-ignored <c>.local/</c> folder.</summary>
internal static class RepositoryPaths
{
    public static string Root(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".."));

    public static string Local(IDistributedApplicationBuilder builder, params string[] parts) =>
        Path.Combine([Root(builder), ".local", .. parts]);

    public static string Script(IDistributedApplicationBuilder builder, string name) =>
        Path.Combine(Root(builder), "scripts", name);
}
