"""The HTML sanitiser keeps email layout and removes everything that can run or phone home."""

from mail_gateway.mail.sanitize import html_to_text, sanitize_html


def test_script_and_style_elements_are_removed_with_their_content() -> None:
    cleaned = sanitize_html("<p>Hi</p><script>alert(1)</script><style>p{}</style>")
    assert cleaned == "<p>Hi</p>"


def test_event_handlers_are_removed() -> None:
    cleaned = sanitize_html('<img src="https://x.test/a.png" onerror="alert(1)" onload="x()">')
    assert "onerror" not in cleaned and "onload" not in cleaned
    assert 'src="https://x.test/a.png"' in cleaned


def test_javascript_and_data_urls_are_removed() -> None:
    cleaned = sanitize_html(
        '<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(1)">b</a>'
        '<a href="data:text/html,<script>x</script>">c</a>'
    )
    assert "javascript" not in cleaned.lower() and "data:" not in cleaned


def test_links_get_noopener_noreferrer() -> None:
    cleaned = sanitize_html('<a href="https://example.com" target="_top">x</a>')
    assert 'rel="noopener noreferrer"' in cleaned
    assert 'href="https://example.com"' in cleaned


def test_cid_images_are_kept_for_later_rewriting() -> None:
    assert 'src="cid:image001.png@01D"' in sanitize_html('<img src="cid:image001.png@01D">')


def test_style_attribute_keeps_only_presentational_properties() -> None:
    cleaned = sanitize_html('<p style="color: red; position: fixed; background-image: url(https://t.test/x)">x</p>')
    assert "color:red" in cleaned.replace(" ", "")
    assert "position" not in cleaned and "url(" not in cleaned


def test_forms_frames_and_objects_are_removed() -> None:
    cleaned = sanitize_html(
        '<form action="https://evil.test"><input name="p"></form><iframe src="https://x.test">'
        "</iframe><object data='x'></object><p>ok</p>"
    )
    assert cleaned == "<p>ok</p>"


def test_html_to_text_keeps_paragraphs_and_line_breaks() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<p>Hei Nina,</p><p>linje 1<br>linje&nbsp;2</p><ul><li>en</li><li>to</li></ul>"
        "<script>x()</script></body></html>"
    )
    assert text == "Hei Nina,\n\nlinje 1\nlinje 2\n\n- en\n- to"


def test_html_to_text_keeps_backslashes() -> None:
    assert html_to_text(r"<div>C:\Users\nina\new_folder</div>") == r"C:\Users\nina\new_folder"
