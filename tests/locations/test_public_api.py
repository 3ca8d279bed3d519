import pytest


@pytest.mark.usefixtures("demo")
class TestListServiceLines:
    def test_lists_the_three_lines_with_descriptions(self, client):
        response = client.get("/v1/service-lines")
        assert response.status_code == 200
        body = response.json()
        assert [line["code"] for line in body] == ["interventional_pain", "physical_therapy", "physiatry"]
        assert all(line["name"] and line["description"] for line in body)
