namespace PuffinOffset.Api.Configuration;

/// <summary><c>FRONTEND_URL</c>: the CORS origins; the first is the base of Checkout's return URLs.</summary>
public sealed class FrontendOptions
{
    public IReadOnlyList<Uri> Origins { get; set; } = [];

    public Uri BaseUrl => Origins[0];
}
