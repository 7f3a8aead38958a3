"""Following the verdict site: what a fetched URL is (kinds), HTML pages as page text
(htmltext), and one pass over a source (sync). The HTTP client itself is an adapter
(adapters/web.py); nothing here touches the network."""
